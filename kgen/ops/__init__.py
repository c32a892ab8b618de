"""Pure functions: losses (one file per family), gradient estimators, sampling, clustering and
discounted returns. They import no model, no plotting and no data."""
