"""RViz markers for an answer: a sphere at the 3D centroid and a text label (phrase, and the score
or, in follow mode, the track id).

Without a 3D centroid (no depth) a DELETEALL marker clears the last answer's markers, so
RViz never shows a stale object.
"""

from __future__ import annotations

from geometry_msgs.msg import Point
from visualization_msgs.msg import Marker, MarkerArray

NAMESPACE = "zsris"
SPHERE_M = 0.05
LABEL_OFFSET_M = 0.08  # above the centroid: -y in an optical frame (y down)


def result_markers(msg) -> MarkerArray:
    """Markers for a ZsrisResult, in its header's frame and stamp."""
    clear = Marker(header=msg.header, ns=NAMESPACE, action=Marker.DELETEALL)
    if not msg.has_point_3d:
        return MarkerArray(markers=[clear])
    point = msg.point_3d
    sphere = Marker(header=msg.header, ns=NAMESPACE, id=0, type=Marker.SPHERE, action=Marker.ADD)
    sphere.pose.position = Point(x=point.x, y=point.y, z=point.z)
    sphere.pose.orientation.w = 1.0
    sphere.scale.x = sphere.scale.y = sphere.scale.z = SPHERE_M
    sphere.color.r, sphere.color.g, sphere.color.b, sphere.color.a = 1.0, 0.2, 0.2, 0.9
    label = Marker(header=msg.header, ns=NAMESPACE, id=1, type=Marker.TEXT_VIEW_FACING, action=Marker.ADD)
    label.pose.position = Point(x=point.x, y=point.y - LABEL_OFFSET_M, z=point.z)
    label.pose.orientation.w = 1.0
    label.scale.z = 0.04
    label.color.r = label.color.g = label.color.b = label.color.a = 1.0
    what = msg.target_phrase or msg.expression
    label.text = f"{what} (track {msg.track_id})" if msg.tracking else f"{what} ({msg.score:.2f})"
    return MarkerArray(markers=[clear, sphere, label])
