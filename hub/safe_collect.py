"""nbgrader's collect for a class's shared exchange: no student's work collected as another's.

nbgrader's exchange is one folder every account writes into (mode 1777). Its collect trusts what it
finds there: it takes the student from the entry's name, only warns when the entry belongs to
another account ("cheating attempt?"), and copies the entry following links. So a student could
submit under a classmate's name (the newest entry wins: the classmate's own submission is
replaced), or submit a link that the instructor's collect follows into a file the student may not
read (a classmate's collected submission in the instructor's course folder). And one entry it
cannot handle (a name that is no timestamp, a folder too large) stops the collect for everyone.

This collect (configured by ./course hub as nbgrader's `ExchangeFactory.collect`) takes an entry
only when it is a folder that belongs to the account its name says, and copies it without following
any link: each folder and file is opened relative to its parent with O_NOFOLLOW, so that swapping a
file for a link while it is copied does not help either. Links, and anything but plain files and
folders, are left out. An entry it cannot take or copy is left out, with a warning in the
instructor's log, and the others are collected. (nbgrader's `groupshared` permissions are not
applied: the class hub does not use them.)
"""
import datetime
import os
import pwd
import shutil
import stat

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import ignore_patterns


def _owner(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


class SafeExchangeCollect(ExchangeCollect):

    def _path_to_record(self, path):
        try:
            record = super()._path_to_record(path)
        except Exception:  # a name that is not STUDENT+ASSIGNMENT+TIMESTAMP: made by hand, not by submit
            self.log.warning("not collected: %s (not a submission's name)", path)
            return {"username": os.path.basename(path).split("+")[0], "filename": os.path.basename(path),
                    "timestamp": datetime.datetime.min, "genuine": False}
        try:
            st = os.lstat(path)
            record["genuine"] = stat.S_ISDIR(st.st_mode) and _owner(st.st_uid) == record["username"]
        except OSError:
            record["genuine"] = False
        return record

    def _sort_by_timestamp(self, records):
        # only a student's own entries, where there is one: one made under their name by someone else
        # never wins, neither as the newest nor as the last before the due date
        genuine = [r for r in records if r.get("genuine")]
        return sorted(genuine or records, key=lambda r: r["timestamp"], reverse=True)

    def copy_files(self):
        for record in self.src_records:
            if not record.get("genuine"):
                self.log.warning("not collected: %s is not a folder of the account %s (a submission under another's "
                                 "name, or a link)", record["filename"], record["username"])
        self.src_records = [r for r in self.src_records if r.get("genuine")]
        super().copy_files()

    def do_copy(self, src, dest, log=None):
        """Copy one entry; on any failure, log it and leave that student's collected folder empty."""
        try:
            fd = os.open(src, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            try:
                owner = _owner(os.fstat(fd).st_uid)
                if owner != os.path.basename(src).split("+")[0]:  # replaced since it was listed
                    raise PermissionError(f"it now belongs to {owner}")
                ignore = ignore_patterns(exclude=self.coursedir.ignore, include=self.coursedir.include,
                                         max_file_size=self.coursedir.max_file_size, log=self.log)
                self._copy_folder(fd, src, dest, ignore, [1000 * self.coursedir.max_dir_size])
            finally:
                os.close(fd)
        except Exception as e:  # too large, too deep, replaced meanwhile: this entry only
            self.log.error("not collected: %s (%s: %s)", src, type(e).__name__, e)
            shutil.rmtree(dest, ignore_errors=True)
            os.makedirs(dest, exist_ok=True)

    def _copy_folder(self, folder_fd, shown, dest, ignore, room):
        """Copy the folder open as folder_fd into dest; room: [bytes the entry may still hold]."""
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
                    self._copy_folder(fd, os.path.join(shown, name), os.path.join(dest, name), ignore, room)
                elif not stat.S_ISREG(st.st_mode):
                    self.log.warning("not collected: %s (not a file or folder)", os.path.join(shown, name))
                elif self.coursedir.max_file_size and st.st_size > 1000 * self.coursedir.max_file_size:
                    self.log.warning("not collected: %s (larger than CourseDirectory.max_file_size)",
                                     os.path.join(shown, name))
                else:
                    room[0] -= st.st_size
                    if room[0] < 0:
                        raise RuntimeError("the submission is larger than CourseDirectory.max_dir_size")
                    with open(os.dup(fd), "rb") as source, open(os.path.join(dest, name), "wb") as target:
                        left = st.st_size  # as listed: a file that grows meanwhile is cut there
                        while left > 0 and (block := source.read(min(left, 1 << 20))):
                            target.write(block)
                            left -= len(block)
            finally:
                os.close(fd)
