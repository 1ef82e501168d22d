"""Code that runs inside the kernels, on either target: compilation settings and the kernel cache,
random streams, packed data, moments, the run loop and the registries it is specialised from."""
