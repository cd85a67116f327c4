#!/usr/bin/env bash
# Generate ros2_zsris.msg with rosidl from the PyPI ROS 2 wheels and install it into the
# venv's own prefix (what colcon does in a ROS install). Usage: scripts/build_msgs.sh VENV
set -euo pipefail
venv=$(cd "${1:-.venv}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
py="$venv/bin/python"
# The wheels' exported CMake targets name the include dirs of the machine that built
# them; point them at this interpreter's (idempotent).
py_inc=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
np_inc=$("$py" -c 'import numpy; print(numpy.get_include())')
{ grep -rl "/opt/python/cp311-cp311" "$venv/share" --include="*.cmake" 2>/dev/null || true; } | while read -r f; do
  sed -i -e "s#/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include#${np_inc}#g" \
         -e "s#/opt/python/cp311-cp311/include/python3.11#${py_inc}#g" "$f"
done
build="$root/build/msgs"
mkdir -p "$build"
export PATH="$venv/bin:$PATH"
export AMENT_PREFIX_PATH="$venv"
log="$build/build.log"
run() { "$@" >> "$log" 2>&1 || { tail -40 "$log"; echo "message build failed: see $log" >&2; exit 1; }; }
: > "$log"
run cmake -S "$root" -B "$build" -DCMAKE_PREFIX_PATH="$venv" -DCMAKE_INSTALL_PREFIX="$venv" \
  -DPython3_EXECUTABLE="$py" -DZSRIS_INSTALL_PYTHON_PACKAGE=OFF -DBUILD_TESTING=OFF \
  -DCMAKE_INSTALL_RPATH='$ORIGIN;$ORIGIN/../../..;$ORIGIN/../lib' -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON \
  -DCMAKE_BUILD_TYPE=Release
run cmake --build "$build" -j2
run cmake --install "$build"
# rosidl's Python install leaves an egg-info for ros2_zsris beside pip's dist-info; pip
# would then uninstall through it, removing the whole directory (messages included).
rm -rf "$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"/ros2_zsris-*.egg-info
echo "ros2_zsris messages installed into $venv"
