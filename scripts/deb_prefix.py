"""Unpacks Debian .deb files under a prefix without dpkg (scripts/gpu_check.py's
`unpack` step, for machines that may not be Debian): the ar archive's data.tar
member of each, checked against the MANIFEST of scripts/gather_debs.sh, then
what Debian's install scripts would have done. Standard library only.
"""
import hashlib
import io
import os
import re
import tarfile


class UnpackError(Exception):
    """A .deb folder that cannot be unpacked as it is; one line."""


def ar_members(path):
    """The members of a .deb (an ar archive): (name, bytes) in order."""
    with open(path, "rb") as f:
        if f.read(8) != b"!<arch>\n":
            raise UnpackError(f"{path}: not a .deb (ar) archive")
        while True:
            at = f.tell()
            header = f.read(60)
            if not header:
                return
            try:
                if len(header) < 60 or header[58:60] != b"`\n":
                    raise ValueError
                name = header[:16].decode().strip().rstrip("/")
                size = int(header[48:58].decode())
            except ValueError:
                raise UnpackError(f"{path}: damaged ar member header at byte {at}") from None
            data = f.read(size)
            if len(data) < size:
                raise UnpackError(f"{path}: member {name} cut short")
            yield name, data
            f.read(size & 1)  # members start at even offsets


def deb_payload(path):
    """The data.tar.* member of a .deb: the files it installs."""
    for name, data in ar_members(path):
        if name.startswith("data.tar"):
            return data
    raise UnpackError(f"{path}: no data.tar member")


def read_manifest(debs):
    """MANIFEST of scripts/gather_debs.sh: package -> sha256 (empty without one)."""
    manifest = {}
    path = os.path.join(debs, "MANIFEST")
    if os.path.exists(path):
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                fields = line.split()
                if len(fields) != 3:
                    raise UnpackError(f"{path}: line {n}: expected 'package version sha256'")
                manifest[fields[0]] = fields[2]
    return manifest


def extract_deb(path, prefix):
    with tarfile.open(fileobj=io.BytesIO(deb_payload(path)), mode="r:*") as tar:
        for m in tar.getmembers():
            if m.name.startswith("/") or ".." in m.name.split("/"):
                raise UnpackError(f"{path}: unsafe path {m.name}")
        # Debian's absolute links are made relative afterwards, so Python's newer filters must not refuse them.
        kw = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
        tar.extractall(prefix, **kw)


def relink_absolute(prefix):
    """Absolute symbolic links point into the system: makes them point into the prefix. Returns how many."""
    fixed = 0
    for dirpath, dirnames, filenames in os.walk(prefix):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            if os.path.islink(p) and os.readlink(p).startswith("/"):
                target = prefix + os.readlink(p)
                os.remove(p)
                os.symlink(os.path.relpath(target, dirpath), p)
                fixed += 1
    return fixed


def unpack_debs(debs, prefix):
    """Every .deb of DEBS under PREFIX, checked against MANIFEST first (nothing
    is unpacked from a folder that fails the check); returns (files, links made relative)."""
    manifest = read_manifest(debs)
    files = sorted(f for f in os.listdir(debs) if f.endswith(".deb"))
    packages = {f.split("_")[0]: os.path.join(debs, f) for f in files}
    missing = sorted(set(manifest) - set(packages))
    if missing:
        raise UnpackError("MANIFEST lists packages with no .deb here: " + ", ".join(missing))
    for package, path in packages.items():
        if package in manifest:
            with open(path, "rb") as fh:
                if hashlib.sha256(fh.read()).hexdigest() != manifest[package]:
                    raise UnpackError(f"{path}: sha256 differs from MANIFEST")
    for f in files:
        extract_deb(os.path.join(debs, f), prefix)
    return len(files), relink_absolute(prefix)


def finish_prefix(prefix):
    """What Debian's install scripts would do: the alternatives (mpirun, mpicc),
    h5cc's installation prefix. Returns h5cc's prefix lines, as `grep -n` shows them."""
    bin_dir = os.path.join(prefix, "usr", "bin")
    for tool in ("mpirun", "mpiexec", "mpicc", "mpicxx"):
        link = os.path.join(bin_dir, tool)
        if os.path.lexists(link + ".openmpi") and not os.path.lexists(link):
            os.symlink(tool + ".openmpi", link)
    h5cc = os.path.join(bin_dir, "h5cc")  # the HDF5 wrapper names its installation prefix
    if not os.path.isfile(h5cc):
        return ""
    with open(h5cc) as f:
        text = f.read()
    text = re.sub(r'^prefix="/usr"', lambda _: f'prefix="{prefix}/usr"', text, flags=re.M)
    with open(h5cc, "w") as f:
        f.write(text)
    return "".join(f"{n}:{line}\n" for n, line in enumerate(text.splitlines(), 1) if line.startswith("prefix="))
