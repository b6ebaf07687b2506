"""nbgrader's collect for a class's shared exchange: no student's work collected as another's.

nbgrader's exchange is one folder every account writes into (mode 1777). Its collect trusts what it
finds there: it takes the student from the entry's name, only warns when the entry belongs to
another account ("cheating attempt?"), and copies the entry following links. So a student could
submit under a classmate's name (the newest entry wins: the classmate's own submission is
replaced), or submit a link that the instructor's collect follows into a file the student may not
read (a classmate's collected submission in the instructor's course folder).

This collect (configured by ./course hub as nbgrader's `ExchangeFactory.collect`) takes an entry
only when it is a folder that belongs to the account its name says, and copies it without following
any link: each folder and file is opened relative to its parent with O_NOFOLLOW, so that swapping a
file for a link while it is copied does not help either. Links, and anything but plain files and
folders, are left out, with a warning in the instructor's log.
"""
import os
import pwd
import shutil
import stat

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import ignore_patterns


class SafeExchangeCollect(ExchangeCollect):

    def _path_to_record(self, path):
        record = super()._path_to_record(path)
        try:
            st = os.lstat(path)
            owner = pwd.getpwuid(st.st_uid).pw_name
        except (OSError, KeyError):
            owner = None
        record["genuine"] = owner == record["username"] and stat.S_ISDIR(st.st_mode)
        return record

    def _sort_by_timestamp(self, records):
        # a student's own entries first: a newer one under their name by someone else never wins
        return sorted(records, key=lambda r: (r.get("genuine", False), r["timestamp"]), reverse=True)

    def copy_files(self):
        for record in self.src_records:
            if not record.get("genuine"):
                self.log.warning("not collected: %s is not a folder of the account %s (a submission under another's "
                                 "name, or a link)", record["filename"], record["username"])
        self.src_records = [r for r in self.src_records if r.get("genuine")]
        super().copy_files()

    def do_copy(self, src, dest, log=None):
        size = self.get_size(src)
        if size > 1000 * self.coursedir.max_dir_size:
            raise RuntimeError(f"Directory size is too big. Size is {size}, maximum size is "
                               f"{1000 * self.coursedir.max_dir_size}")
        ignore = ignore_patterns(exclude=self.coursedir.ignore, include=self.coursedir.include,
                                 max_file_size=self.coursedir.max_file_size, log=self.log)
        try:
            fd = os.open(src, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as e:  # made a link since it was listed
            self.log.warning("not collected: %s (%s)", src, e.strerror)
            os.makedirs(dest, exist_ok=True)
            return
        try:
            self._copy_folder(fd, src, dest, ignore)
        finally:
            os.close(fd)

    def _copy_folder(self, folder_fd, shown, dest, ignore):
        os.makedirs(dest, exist_ok=True)
        names = os.listdir(folder_fd)
        skipped = set(ignore(f"/proc/self/fd/{folder_fd}", names))
        for name in names:
            if name in skipped:
                continue
            try:  # O_NONBLOCK: a FIFO planted here must not stop the collect
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
            except OSError as e:  # ELOOP: a link
                self.log.warning("not collected: %s (%s)", os.path.join(shown, name), e.strerror)
                continue
            try:
                st = os.fstat(fd)
                if stat.S_ISDIR(st.st_mode):
                    self._copy_folder(fd, os.path.join(shown, name), os.path.join(dest, name), ignore)
                elif self.coursedir.max_file_size and st.st_size > 1000 * self.coursedir.max_file_size:
                    self.log.warning("not collected: %s (larger than CourseDirectory.max_file_size)",
                                     os.path.join(shown, name))
                elif stat.S_ISREG(st.st_mode):
                    with open(os.dup(fd), "rb") as source, open(os.path.join(dest, name), "wb") as target:
                        shutil.copyfileobj(source, target)
                else:
                    self.log.warning("not collected: %s (not a file or folder)", os.path.join(shown, name))
            finally:
                os.close(fd)
