import matplotlib

# Unit tests draw off-screen; set in-process only, so notebook kernels keep their inline backend.
matplotlib.use("Agg")
