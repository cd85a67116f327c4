"""RViz markers for an answer: a sphere at each object's 3D centroid and a text label (its number
when there are several, its phrase, and the score or, in follow mode, the track id).

One DELETEALL marker comes first, so RViz never shows a stale object: an answer without depth
clears the last answer's markers, and a set of two replaces a set of three.
"""

from __future__ import annotations

from geometry_msgs.msg import Point
from visualization_msgs.msg import Marker, MarkerArray

NAMESPACE = "zsris"
SPHERE_M = 0.05
LABEL_OFFSET_M = 0.08  # above the centroid: -y in an optical frame (y down)


def result_markers(msg) -> MarkerArray:
    """Markers for a ZsrisResult, in its header's frame and stamp: one sphere and one label per
    object with a 3D centroid (ids 2k and 2k + 1 for the k-th object)."""
    markers = [Marker(header=msg.header, ns=NAMESPACE, action=Marker.DELETEALL)]
    objects = list(getattr(msg, "objects", []))
    if not objects:  # follow mode's ~/track: the single-object fields
        objects = [msg] if msg.has_point_3d else []
    what = msg.target_phrase or msg.expression
    for k, item in enumerate(objects):
        if not item.has_point_3d:
            continue
        name = f"{k + 1}: {item.expression}" if len(objects) > 1 else what
        text = f"{what} (track {msg.track_id})" if msg.tracking else f"{name} ({item.score:.2f})"
        markers += [_sphere(msg.header, 2 * k, item.point_3d), _label(msg.header, 2 * k + 1, item.point_3d, text)]
    return MarkerArray(markers=markers)


def _sphere(header, marker_id: int, point) -> Marker:
    sphere = Marker(header=header, ns=NAMESPACE, id=marker_id, type=Marker.SPHERE, action=Marker.ADD)
    sphere.pose.position = Point(x=point.x, y=point.y, z=point.z)
    sphere.pose.orientation.w = 1.0
    sphere.scale.x = sphere.scale.y = sphere.scale.z = SPHERE_M
    sphere.color.r, sphere.color.g, sphere.color.b, sphere.color.a = 1.0, 0.2, 0.2, 0.9
    return sphere


def _label(header, marker_id: int, point, text: str) -> Marker:
    label = Marker(header=header, ns=NAMESPACE, id=marker_id, type=Marker.TEXT_VIEW_FACING, action=Marker.ADD)
    label.pose.position = Point(x=point.x, y=point.y - LABEL_OFFSET_M, z=point.z)
    label.pose.orientation.w = 1.0
    label.scale.z = 0.04
    label.color.r = label.color.g = label.color.b = label.color.a = 1.0
    label.text = text
    return label
