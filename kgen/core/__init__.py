"""The bottom layer: errors, argument validation, seeds, atomic files, optional imports,
serialization, batching and the exporter (serving functions to SavedModel, TFLite or ONNX
files). Imports nothing else from kgen."""
