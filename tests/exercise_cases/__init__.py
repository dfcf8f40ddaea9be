"""The reference solutions and wrong answers that tests/test_exercises.py feeds to the checks.

One module per module of ``ganlib.exercises`` (``backprop.py`` for ``ganlib.exercises.backprop``),
each holding a dict ``CASES``: check function -> :class:`Case`. Add a module (or an entry) for a
new check; ``test_every_check_has_its_case`` fails until you do.
"""

from dataclasses import dataclass, field


@dataclass
class Case:
    solution: object  # the reference solution: must pass
    wrong: dict = field(default_factory=dict)  # name -> (wrong answer, a piece of the message it must get)
    # True: the check's messages name the reader's function by its __name__ (notebook 06's
    # nearest_training_distance_mine), not by the exercise's name (ganlib.exercises.function_name)
    names_the_function: bool = False


def stub(*args):
    # what the student version holds before the reader writes anything
    raise NotImplementedError()
