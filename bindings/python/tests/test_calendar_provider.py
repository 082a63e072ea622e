"""A calendar written in Python, called through the C++ Calendar interface (from a C++
worker thread), and what happens when it raises."""
import threading
import unittest

import infini
from infini._infini import _testing


class ListCalendar(infini.Calendar):
    """An in-memory calendar; records which thread each call came from."""

    def __init__(self):
        super().__init__()
        self.booked = []
        self.threads = []

    def book(self, appt):
        self.threads.append(threading.get_ident())
        for other in self.booked:
            if other.resource == appt.resource and other.start_utc < appt.end_utc and appt.start_utc < other.end_utc:
                raise infini.AlreadyExistsError(f"{appt.resource} is busy at {appt.start_utc}")
        stored = infini.Appointment(id=appt.id or f"py-{len(self.booked) + 1}", business_id=appt.business_id,
                                    service_id=appt.service_id, resource=appt.resource,
                                    start_utc=appt.start_utc, end_utc=appt.end_utc,
                                    customer_name=appt.customer_name, customer_phone=appt.customer_phone)
        self.booked.append(stored)
        return stored

    def list(self, business_id, from_utc, to_utc):
        return [a for a in self.booked if a.start_utc < to_utc and from_utc < a.end_utc]

    def cancel(self, id):
        before = len(self.booked)
        self.booked = [a for a in self.booked if a.id != id]
        if len(self.booked) == before:
            raise infini.NotFoundError(f"no appointment {id}")

    def move(self, id, new_start_utc, new_end_utc, new_resource):
        raise NotImplementedError("move")

    def find_by_phone(self, business_id, phone, from_utc):
        return [a for a in self.booked if a.customer_phone == phone and a.start_utc >= from_utc]


def appointment(start, resource="Ana", phone="+15125550100"):
    return infini.Appointment(business_id="salon", service_id="haircut", resource=resource,
                              start_utc=start, end_utc=start + 2700, customer_name="Dana",
                              customer_phone=phone)


class PythonCalendarTest(unittest.TestCase):
    def test_booked_from_a_cpp_thread(self):
        cal = ListCalendar()
        stored = _testing.book_from_cpp_thread(cal, appointment(1_000_000))
        self.assertEqual(stored.id, "py-1")
        self.assertEqual(len(cal.booked), 1)
        self.assertNotEqual(cal.threads[0], threading.get_ident())  # really another thread

    def test_python_exceptions_keep_their_meaning_or_become_unavailable(self):
        cal = ListCalendar()
        _testing.book_from_cpp_thread(cal, appointment(1_000_000))
        # infini.AlreadyExistsError raised in Python is AlreadyExists in C++ ("slot taken")...
        with self.assertRaises(infini.AlreadyExistsError) as ctx:
            _testing.book_from_cpp_thread(cal, appointment(1_000_000 + 600))
        self.assertIn("Ana is busy", str(ctx.exception))
        self.assertIn("ListCalendar.book()", str(ctx.exception))
        # ...a free resource at the same time is fine.
        _testing.book_from_cpp_thread(cal, appointment(1_000_000, resource="Marco"))
        self.assertEqual(len(cal.booked), 2)

    def test_a_raising_calendar_is_a_provider_failure_not_a_crash(self):
        class Broken(infini.Calendar):
            def book(self, appt):
                raise ValueError("database is on fire")

        with self.assertRaises(infini.UnavailableError) as ctx:
            _testing.book_from_cpp_thread(Broken(), appointment(0))
        message = str(ctx.exception)
        self.assertIn("Broken.book()", message)
        self.assertIn("ValueError: database is on fire", message)

    def test_missing_method_and_wrong_return_type(self):
        class Empty(infini.Calendar):
            pass

        with self.assertRaises(infini.UnimplementedError) as ctx:
            _testing.book_from_cpp_thread(Empty(), appointment(0))
        self.assertIn("book()", str(ctx.exception))

        class Sloppy(infini.Calendar):
            def book(self, appt):
                return "ok"

        with self.assertRaises(infini.UnavailableError) as ctx:
            _testing.book_from_cpp_thread(Sloppy(), appointment(0))
        self.assertIn("wrong type", str(ctx.exception))

    def test_many_cpp_threads_share_one_python_calendar(self):
        cal = ListCalendar()
        results = []

        def worker(i):
            try:
                results.append(_testing.book_from_cpp_thread(cal, appointment(i * 10_000)))
            except infini.Error as e:  # pragma: no cover - would fail the count below
                results.append(e)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(cal.booked), 8)
        self.assertTrue(all(isinstance(r, infini.Appointment) for r in results))


class ErrorHierarchyTest(unittest.TestCase):
    def test_codes_and_builtin_bases(self):
        self.assertTrue(issubclass(infini.InvalidArgumentError, ValueError))
        self.assertTrue(issubclass(infini.NotFoundError, LookupError))
        self.assertTrue(issubclass(infini.DeadlineExceededError, TimeoutError))
        self.assertTrue(issubclass(infini.IoError, OSError))
        for cls in (infini.InvalidArgumentError, infini.NotFoundError, infini.AlreadyExistsError,
                    infini.UnavailableError, infini.CorruptionError, infini.UnimplementedError,
                    infini.InternalError, infini.CancelledError, infini.PermissionDeniedError):
            self.assertTrue(issubclass(cls, infini.Error), cls)
        self.assertEqual(infini.NotFoundError.code, "not_found")


if __name__ == "__main__":
    unittest.main()
