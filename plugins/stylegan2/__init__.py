"""StyleGAN2: the GAN prior of GAN Hub (generators, discriminator, encoder, the Sample tab, trainers).

Registration (hookimpls only) lives in ``plugins.stylegan2.plugin``; the technique in ``api.py``."""
