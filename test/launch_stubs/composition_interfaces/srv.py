"""The three service types launch_ros names (LoadNode, UnloadNode, ListNodes): names only."""


class _NeverCalled:
    """launch_ros annotates with ``<Service>.Request``; a launched Node never sends one."""

    class Request:
        pass

    class Response:
        pass


class LoadNode(_NeverCalled):
    pass


class UnloadNode(_NeverCalled):
    pass


class ListNodes(_NeverCalled):
    pass
