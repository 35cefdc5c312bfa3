"""The model zoo: every preset builds the shared contract."""

import numpy as np
import pytest

from mnist_core.model import architectures


@pytest.mark.parametrize("preset", list(architectures.PRESETS))
def test_every_preset_takes_28x28x1_and_returns_softmax(preset):
    model = architectures.build(preset)
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)
    out = np.asarray(model(np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32), training=False))
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    assert architectures.PRESETS[preset].description


def test_conv1_has_exactly_173738_parameters():
    assert architectures.build("conv1").count_params() == 173_738


def test_unknown_preset_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown preset 'resnet'"):
        architectures.build("resnet")


def test_the_default_preset_is_an_ensemble_whose_output_is_its_members_mean():
    model = architectures.build("studio")
    members = architectures.members_view(model)
    x = np.random.default_rng(1).random((4, 28, 28, 1), dtype=np.float32)
    stacked = np.asarray(members(x, training=False))
    assert stacked.shape == (4, architectures.STUDIO_MEMBERS, 10)
    assert not np.allclose(stacked[:, 0], stacked[:, 1])  # independently initialised members
    np.testing.assert_allclose(np.asarray(model(x, training=False)), stacked.mean(axis=1), atol=1e-6)


def test_a_single_network_has_no_members_view():
    assert architectures.members_view(architectures.build("conv1")) is None
