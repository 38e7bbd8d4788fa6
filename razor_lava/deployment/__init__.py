"""Running network files on Lava: graph assembly, per-sample runs, backends."""

# Lava sets multiprocessing's start method to "fork" when its runtime is imported,
# and tqdm fixes the start method when it draws its first progress bar: import
# Lava's runtime first, so a progress bar before the first Lava run cannot make
# Lava's import fail ("context has already been set").
import lava.magma.runtime.message_infrastructure.multiprocessing  # noqa: F401,E402
