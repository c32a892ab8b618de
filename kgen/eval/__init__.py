"""Measuring models: sample-quality metrics on a feature model passed in (`metrics`) and the
scores that recipes and `kgen eval` report (`scores`)."""
