"""AWS Lambda, the subset Secrets Manager rotation needs: Python functions run in their own processes."""
