"""Root of trust (the seal) and the wrapping of everything secret that is stored."""
