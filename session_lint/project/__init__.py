"""The project around a checked file: its layout and the imports that resolve inside it."""
