"""Training score models: the denoising score-matching objective (models and loops to come)."""

from .losses import dsm_loss

__all__ = ["dsm_loss"]
