"""The bottom layer: errors, argument validation, seeds, atomic files, optional imports,
serialization and batching. Imports nothing else from kgen."""
