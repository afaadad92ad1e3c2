"""Constants the LAPGAN registration and tab share, light to import."""

MODEL_NAME = "lapgan-emoji64"
INTERFACE_LAPGAN = "LaplacianPyramidGenerator"
