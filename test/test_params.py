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
