"""`termios` for WASI, which has no terminals to control: the module imports (click, tty and other
packages import it unconditionally) and every call answers as CPython does for a descriptor that
is not a terminal, `termios.error(ENOTTY)`, or `EBADF` for one that is not open. The constants are
Linux's, for code that builds attribute lists before it calls."""

import errno as _errno
import os as _os


class error(Exception):
    pass


def _refuse(fd):
    if hasattr(fd, "fileno"):
        fd = fd.fileno()
    if not isinstance(fd, int):
        raise TypeError(f"argument must be an int, or have a fileno() method, not {type(fd).__name__}")
    try:
        _os.fstat(fd)
    except OSError:
        raise error(_errno.EBADF, "Bad file descriptor") from None
    raise error(_errno.ENOTTY, "Inappropriate ioctl for device (WASI has no terminal control)")


def _refusing(name):
    def call(fd, *args):
        _refuse(fd)
    call.__name__ = call.__qualname__ = name
    return call


# Every call refuses alike: none can act on a descriptor that is no terminal.
for _name in ("tcgetattr", "tcsetattr", "tcsendbreak", "tcdrain", "tcflush", "tcflow", "tcgetwinsize",
              "tcsetwinsize"):
    globals()[_name] = _refusing(_name)
del _name


TCSANOW, TCSADRAIN, TCSAFLUSH = 0, 1, 2
TCIFLUSH, TCOFLUSH, TCIOFLUSH = 0, 1, 2
TCOOFF, TCOON, TCIOFF, TCION = 0, 1, 2, 3
# c_iflag
IGNBRK, BRKINT, IGNPAR, PARMRK, INPCK, ISTRIP, INLCR, IGNCR, ICRNL = 1, 2, 4, 8, 16, 32, 64, 128, 256
IUCLC, IXON, IXANY, IXOFF, IMAXBEL, IUTF8 = 512, 1024, 2048, 4096, 8192, 16384
# c_oflag
OPOST, OLCUC, ONLCR, OCRNL, ONOCR, ONLRET, OFILL, OFDEL = 1, 2, 4, 8, 16, 32, 64, 128
# c_cflag
CSIZE, CS5, CS6, CS7, CS8, CSTOPB, CREAD, PARENB, PARODD, HUPCL, CLOCAL = 48, 0, 16, 32, 48, 64, 128, 256, 512, 1024, 2048
CRTSCTS = 0x80000000
# c_lflag
ISIG, ICANON, XCASE, ECHO, ECHOE, ECHOK, ECHONL, NOFLSH, TOSTOP = 1, 2, 4, 8, 16, 32, 64, 128, 256
ECHOCTL, ECHOPRT, ECHOKE, FLUSHO, PENDIN, IEXTEN = 512, 1024, 2048, 4096, 16384, 32768
# c_cc indices
VINTR, VQUIT, VERASE, VKILL, VEOF, VTIME, VMIN, VSWTC, VSTART, VSTOP = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
VSUSP, VEOL, VREPRINT, VDISCARD, VWERASE, VLNEXT, VEOL2 = 10, 11, 12, 13, 14, 15, 16
NCCS = 32
B0, B50, B75, B110, B134, B150, B200, B300, B600, B1200, B1800 = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
B2400, B4800, B9600, B19200, B38400 = 11, 12, 13, 14, 15
B57600, B115200, B230400 = 4097, 4098, 4099
TIOCGWINSZ, TIOCSWINSZ = 0x5413, 0x5414
