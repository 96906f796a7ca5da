"""ecom's Custom Cart driver: any cart ecom has no driver for (placeholder until the package lands)."""
