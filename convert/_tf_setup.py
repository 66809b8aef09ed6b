"""Import-time setup shared by the TensorFlow-side modules: tf-keras, quiet logs."""
from detector import compat  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)
