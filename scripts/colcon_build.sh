#!/usr/bin/env bash
# Build the package with colcon (CMakeLists.txt: rosidl messages/service, Python package, node,
# launch, config) into the venv's own prefix, which is then a colcon install space, as a ROS 2
# workspace's install/ is. One build path produces the interface libraries every process loads:
# a second copy (e.g. a separate install/ on top of the venv) would be put on LD_LIBRARY_PATH in
# random order by the ROS wheels' bootstrap, and symbol look-ups would fail at random.
# Usage: scripts/colcon_build.sh VENV [build|test]
set -euo pipefail
venv=$(cd "${1:-.venv}" && pwd)
verb=${2:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
py="$venv/bin/python"
colcon_venv="$venv/colcon"
# colcon-core pins setuptools<80: it gets a venv of its own instead of downgrading the project's.
if [ ! -x "$colcon_venv/bin/colcon" ]; then
  python3 -m venv "$colcon_venv"
  "$colcon_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$root/requirements/colcon.txt" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
fi
# The wheels' exported CMake targets name the include dirs of the machine that built
# them; point them at this interpreter's (idempotent).
py_inc=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
np_inc=$("$py" -c 'import numpy; print(numpy.get_include())')
{ grep -rl "/opt/python/cp311-cp311" "$venv/share" --include="*.cmake" 2>/dev/null || true; } | while read -r f; do
  sed -i -e "s#/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include#${np_inc}#g" \
         -e "s#/opt/python/cp311-cp311/include/python3.11#${py_inc}#g" "$f"
done
export PATH="$venv/bin:$PATH"
export AMENT_PREFIX_PATH="$venv"
export CMAKE_PREFIX_PATH="$venv"
export COLCON_LOG_PATH="$root/build/colcon-log"
common=(--paths "$root" --build-base "$root/build/colcon" --install-base "$venv" --merge-install)
if [ "$verb" = build ]; then
  "$colcon_venv/bin/colcon" build "${common[@]}" --cmake-args \
    -DPython3_EXECUTABLE="$py" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_RPATH='$ORIGIN;$ORIGIN/../../..;$ORIGIN/../lib' -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON
  # rosidl's Python install leaves an egg-info for ros2_zsris beside pip's dist-info; pip
  # would then uninstall through it, removing the whole directory (messages included).
  rm -rf "$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"/ros2_zsris-*.egg-info
  echo "ros2_zsris built with colcon into $venv"
else
  # The test suite through ctest (ament_add_pytest_test); pytest options via PYTEST_ADDOPTS.
  status=0
  "$colcon_venv/bin/colcon" test "${common[@]}" --event-handlers console_direct+ \
    --return-code-on-test-failure || status=$?
  "$colcon_venv/bin/colcon" test-result --test-result-base "$root/build/colcon" --verbose || true
  exit $status
fi
