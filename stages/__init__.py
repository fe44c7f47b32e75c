"""Pipeline stages: each reads its inputs, calls the library and writes its outputs; thin CLIs."""
