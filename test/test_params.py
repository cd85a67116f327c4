"""Node parameters reach the engine configuration (in-process rclpy node, no topics)."""

from __future__ import annotations

import pytest

from ros2_zsris.core import ConfigError


@pytest.fixture
def ros_context():
    import rclpy

    context = rclpy.Context()
    from ros2_zsris.ros.domains import free_domain_id

    rclpy.init(context=context, domain_id=free_domain_id())  # own domain: nothing else is discovered
    yield context
    rclpy.shutdown(context=context)


def _read(context, **overrides):
    import rclpy
    from rclpy.parameter import Parameter

    from ros2_zsris.ros.params import NodeParameters

    node = rclpy.create_node("zsris_node", context=context,
                             parameter_overrides=[Parameter(k, value=v) for k, v in overrides.items()])
    try:
        return NodeParameters(node, lambda: False, lambda changes: None).read()
    finally:
        node.destroy_node()


def test_method_parameter_selects_the_pipeline(ros_context):
    assert _read(ros_context)[1].method == "zsris"
    assert _read(ros_context, method="gl-clip-paper")[1].method == "gl-clip-paper"
    given = _read(ros_context, **{"proposals.backend": "given"})[1]
    assert given.proposals.backend == "given"
    with pytest.raises(ConfigError, match="invalid value 'paper'") as error:
        _read(ros_context, method="paper")
    assert "(setting: method)" in str(error.value) and "gl-clip-paper" in str(error.value)


def _config_from(context_args: list[str], tmp_path=None):
    """The engine config a node started with these ROS arguments reads, embedded settings applied."""
    import rclpy

    from ros2_zsris.core.config import apply_embedded_settings
    from ros2_zsris.ros.domains import free_domain_id
    from ros2_zsris.ros.params import NodeParameters

    context = rclpy.Context()
    rclpy.init(context=context, domain_id=free_domain_id(), args=["zsris_node", "--ros-args", *context_args])
    try:
        node = rclpy.create_node("zsris_node", context=context)
        parameters = NodeParameters(node, lambda: False, lambda changes: None)
        config = parameters.read()[1]
        applied = apply_embedded_settings(config)
        node.destroy_node()
        return config, applied
    finally:
        rclpy.shutdown(context=context)


EMBEDDED = ["-p", "models.clip_model:=zsris-tiny-clip", "-p", "models.clip_weights:=embedded"]


def test_settings_given_in_a_parameter_file_or_with_p_stay_as_given_with_the_embedded_weights(tmp_path):
    """'Given' is not 'different from the default': proposals.backend sam and fusion.alpha 0.95
    (both the general defaults) stay as written, only settings nobody gave take the embedded
    model's own values."""
    params = tmp_path / "robot.yaml"
    params.write_text("/**:\n  ros__parameters:\n    models: {clip_model: zsris-tiny-clip, clip_weights: embedded}\n"
                      "    proposals: {backend: sam}\n    fusion: {alpha: 0.95}\n")
    from_file, applied = _config_from(["--params-file", str(params)])
    assert (from_file.proposals.backend, from_file.fusion.alpha) == ("sam", 0.95)
    assert from_file.proposals.min_area_px == 60 and "proposals.min_area_px=60" in applied
    with_p, _ = _config_from([*EMBEDDED, "-p", "proposals.backend:=sam", "-p", "fusion.alpha:=0.95"])
    assert (with_p.proposals.backend, with_p.fusion.alpha) == ("sam", 0.95)
    left_out, applied = _config_from(EMBEDDED)
    assert (left_out.proposals.backend, left_out.fusion.alpha) == ("classical", 0.5)
    assert {"proposals.backend=classical", "fusion.alpha=0.5"} <= set(applied)


def test_a_setting_given_with_set_parameters_counts_as_given(ros_context):
    import rclpy
    from rclpy.parameter import Parameter

    from ros2_zsris.core.config import apply_embedded_settings
    from ros2_zsris.ros.params import NodeParameters

    node = rclpy.create_node("zsris_node", context=ros_context, parameter_overrides=[
        Parameter("models.clip_model", value="zsris-tiny-clip"), Parameter("models.clip_weights", value="embedded")])
    try:
        parameters = NodeParameters(node, lambda: False, lambda changes: None)
        assert all(r.successful for r in node.set_parameters([Parameter("proposals.backend", value="sam")]))
        config = parameters.read()[1]
        apply_embedded_settings(config)
        assert config.proposals.backend == "sam" and config.fusion.alpha == 0.5
    finally:
        node.destroy_node()
