"""AWS Certificate Manager: public (ACME or internal CA), private (through ACM PCA) and imported certificates."""
