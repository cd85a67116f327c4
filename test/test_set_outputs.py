"""What a person and RViz see of an answer with several objects (issue 20): one marker and label
per object with a 3D point, the overlay numbering them, and zsris-segment printing them."""

from __future__ import annotations

import json

import numpy as np
from conftest import rect
from PIL import Image
from test_cli import run_cli

from ros2_zsris.core import Result, Status
from ros2_zsris.core.overlay import draw_overlay
from ros2_zsris.core.results import ObjectAnswer


def two_objects() -> Result:
    left, right = rect(60, 100, 20, 40, 10, 30), rect(60, 100, 20, 40, 60, 80)
    objects = [ObjectAnswer(left, 3, 0.9, (10, 20, 29, 39), (19.5, 29.5), "all the cups"),
               ObjectAnswer(right, 5, 0.8, (60, 20, 79, 39), (69.5, 29.5), "all the cups")]
    return Result(Status.OK, command="all the cups", mask=left, index=3, score=0.9, box=objects[0].box,
                  centroid_px=objects[0].centroid_px, objects=objects, count=2)


def test_markers_one_sphere_and_label_per_object_with_a_3d_point():
    from ros2_zsris.msg import ZsrisObject, ZsrisResult
    from visualization_msgs.msg import Marker

    from ros2_zsris.ros.markers import result_markers

    msg = ZsrisResult(target_phrase="the cup", has_point_3d=True, score=0.9)
    msg.header.frame_id = "camera"
    for k, (x, has) in enumerate(((0.1, True), (0.3, False), (0.5, True))):
        item = ZsrisObject(has_point_3d=has, score=0.5 + k / 10, expression="all the cups")
        item.point_3d.x, item.point_3d.z = x, 1.0
        msg.objects.append(item)
    markers = result_markers(msg).markers
    assert markers[0].action == markers[0].DELETEALL
    spheres = [m for m in markers if m.type == m.SPHERE]
    labels = [m for m in markers if m.type == m.TEXT_VIEW_FACING]
    assert [s.pose.position.x for s in spheres] == [0.1, 0.5] and [s.id for s in spheres] == [0, 4]
    assert [label.text for label in labels] == ["1: all the cups (0.50)", "3: all the cups (0.70)"]
    assert all(m.header.frame_id == "camera" for m in markers)
    msg.objects = []  # follow mode's ~/track has no objects: the single-object fields
    assert [m.type for m in result_markers(msg).markers][1:] == [2, 9]  # SPHERE, TEXT_VIEW_FACING
    msg.has_point_3d = False  # "how many cones": none found, the last answer's markers are cleared
    assert [m.action for m in result_markers(msg).markers] == [Marker.DELETEALL]


def test_the_overlay_numbers_several_objects_and_draws_one_plainly():
    result = two_objects()
    picture = np.full((60, 100, 3), 90, np.uint8)
    drawn = draw_overlay(picture, result)
    assert (drawn[result.objects[1].mask] != 90).any()  # both objects tinted
    plain = draw_overlay(picture, Result(Status.OK, command="the cup", mask=result.mask, box=result.box,
                                        centroid_px=result.centroid_px, objects=result.objects[:1]))
    numbers = (drawn.astype(int) - plain.astype(int)) != 0
    numbers[result.objects[1].mask] = False
    for cx, cy in (o.centroid_px for o in result.objects):  # a number up and right of each centroid
        assert numbers[int(cy) - 14:int(cy), int(cx) + 3:int(cx) + 14].any()
    assert np.array_equal(plain, draw_overlay(picture, Result(Status.OK, command="the cup", mask=result.mask,
                                                              box=result.box, centroid_px=result.centroid_px)))


def test_zsris_segment_prints_every_object(tmp_path):
    from ros2_zsris.tabletop.scenes import make_scenes

    scene = next(s for s in make_scenes(7, 20) if [o.kind for o in s.objects].count("ball") == 2)
    Image.fromarray(scene.image).save(tmp_path / "scene.png")
    done = run_cli(str(tmp_path / "scene.png"), "how many balls are there", "--json", "--clip-model",
                   "zsris-tiny-clip", "--clip-weights", "embedded", "--device", "cpu")
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["action"] == "count" and summary["count"] == len(summary["objects"]) == 2
    assert summary["objects"][0]["index"] == summary["index"] and summary["objects"][0]["box"] == summary["box"]
    text = run_cli(str(tmp_path / "scene.png"), "both balls", "--clip-model", "zsris-tiny-clip",
                   "--clip-weights", "embedded", "--device", "cpu")
    assert "2 object(s):" in text.stdout and "2. 'both balls'" in text.stdout, text.stdout
