"""AWS Secrets Manager: secrets encrypted through KMS, staging labels, rotation through Lambda, replication."""
