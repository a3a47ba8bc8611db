# impactlib: every target is a task of tasks.py, which also runs without make
# (Windows: py -3.11 tasks.py report). The tasks and what they do: tasks.py.
# Python 3.11 when it is on PATH, python3 otherwise (tasks.py says if too old).
PYTHON ?= $(if $(wildcard $(addsuffix /python3.11,$(subst :, ,$(PATH)))),python3.11,python3)

TASKS := setup report test lab fuzz browser sync-notebooks clean-reports bench

.PHONY: $(TASKS)

# Extra arguments for pytest: make test ARGS="-k report -x"; make bench ARGS=--full
$(TASKS):
	$(PYTHON) tasks.py $@ $(ARGS)
