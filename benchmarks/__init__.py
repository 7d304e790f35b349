"""InkMod's benchmarks: `make bench` (python -m benchmarks) prints figures measured in one run."""
