"""The sandbox's AWS side: moto in server mode plus the EKS add-on and Pod Identity APIs it lacks."""
