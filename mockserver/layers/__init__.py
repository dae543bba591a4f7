"""The outer ASGI layers, outermost first: the journal, certification, the faults, the fast path. They read the model
through MockState and answer through mockserver/http/."""
