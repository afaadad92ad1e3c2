"""Shared neural pieces: VGG feature taps, losses, AdaIN, the GAN-inversion engine."""
