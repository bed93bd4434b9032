"""The sandbox: a local Azure (ARM, private DNS, Astro endpoint) on loopback, for the demo and the tests."""
