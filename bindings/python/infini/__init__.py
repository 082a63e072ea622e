"""infini: the libinfini AI phone receptionist library, from Python.

    import infini
    business = infini.load_business_config("examples/businesses/salon.json")
    pcm = infini.ulaw_decode(payload)          # numpy int16 array when numpy is installed

Everything is defined by the compiled module ``infini._infini``; errors are ``infini.Error``
subclasses carrying the C++ message. See docs/python.md.
"""
from ._infini import *  # noqa: F401,F403
from ._infini import __doc__ as _native_doc  # noqa: F401

__version__ = "0.1.0"
