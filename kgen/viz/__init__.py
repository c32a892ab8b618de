"""Pictures: image grids and strips (`images`), curves (`curves`), grid worlds (`gridworld`)
and the estimator variance study (`estimators`), written as PNG files."""
