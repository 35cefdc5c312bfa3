"""Preset names. The architectures that came from seed notebooks first carried those notebooks' numbers; they are
named now for what the net is. Cards, runs and commands that say an old name still load and run (no Keras here)."""

RENAMED = {
    "seed000": "conv4-dense256",  # two 5x5 and two 3x3 conv pairs, dropout, Dense 256
    "seed001": "conv2-dropout",  # Conv 32 + Conv 64, one pooling, dropout, Dense 128
    "seed002": "conv3",  # three 3x3 convs, two poolings, Dense 128
    "seed003": "conv2",  # two 3x3 convs, two poolings, Dense 128
    "seed004": "conv1",  # the smallest: one conv, Dense 32
}


def current_preset(name: str) -> str:
    """The name a preset goes by now (an old name in a card, a run or a command -> its new one)."""
    return RENAMED.get(name, name)
