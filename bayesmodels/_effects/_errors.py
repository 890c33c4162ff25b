"""Errors raised while running a model, each naming the site at fault."""

from __future__ import annotations

__all__ = ["MissingRNGKeyError"]


class MissingRNGKeyError(RuntimeError):
    """A site had to draw a random value, but the model was run without a random key."""

    @classmethod
    def for_site(cls, site) -> MissingRNGKeyError:
        what = {
            "sample": f"latent sample site {site.name!r} needs a random key to draw its value",
            "plate": f"plate {site.name!r} needs a random key to draw its subsample",
            "param": f"param site {site.name!r} needs a random key for its init function",
            "prng_key": "prng_key() needs a random key to hand out",
        }[site.type]
        return cls(
            f"{what}, but the model was run without one. Run it under a seed handler, "
            "`with bm.handlers.seed(rng_seed=0): model(...)` or "
            "`bm.handlers.seed(model, rng_seed=0)(...)`; or give the site a value "
            "(pass it as data with obs=, condition or substitute)."
        )
