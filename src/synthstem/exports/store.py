"""The consolidated store: the whole dataset in one chunked HDF5 file, ``annotations/store.h5``.

It holds every image but 'raw' of every item with its truth (layout:
:mod:`synthstem.loaders.store`), read back by ``synthstem.loaders.open_dataset(path)``
with the same samples as the item folder. One shared file, so it is written in
:meth:`Format.finish` from the finished item files, never in ``add`` (which may run in a
worker process). Written only for the dataset itself: not for augmented variants (their
context has no ``dataset_dir``) nor by ``export_item`` (nothing on disk).
"""

from .base import FileSink
from .base import Format as _Base

STORE_FILE = "store.h5"


class Format(_Base):
    name = "store"

    def finish(self):
        if self.context.dataset_dir is None or not isinstance(self.sink, FileSink):
            return {}
        from ..loaders.store import write_store

        # source '..': the dataset folder as seen from annotations/, so that the same dataset
        # exported anywhere gives the same bytes
        write_store(self.context.dataset_dir, self.sink.root / STORE_FILE, source="..")
        return {}
