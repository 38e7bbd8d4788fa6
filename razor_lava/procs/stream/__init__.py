"""The two ends of a stream: ``StreamSource`` feeds samples back to back, ``OutputRecorder`` keeps each sample's output.

``process`` holds the interfaces, ``models`` their numpy models (``fixed_pt`` and ``floating_pt``).
"""
