import pytest
import torch
import torch.nn.functional as F
from torch import nn

import utils
import utils.train as train


def _toy_classification(n=200):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n, 2, generator=g)
    y = (X[:, 0] + X[:, 1] > 0).long()
    return X, y


def test_accuracy():
    y_hat = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    assert utils.accuracy(y_hat, torch.tensor([0, 1, 1])).item() == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match=r"scores \(N, C\)"):
        utils.accuracy(torch.zeros(3), torch.zeros(3))


def test_fit_learns_and_returns_history(capsys):
    torch.manual_seed(0)
    X, y = _toy_classification()
    model = nn.Linear(2, 2)
    history = utils.fit(model, (X, y), loss_fn=F.cross_entropy, epochs=5, batch_size=32,
                        optimizer=torch.optim.SGD(model.parameters(), lr=0.5),
                        val=(X, y), metrics={"acc": utils.accuracy}, progress=False)
    assert history["epoch"] == [1, 2, 3, 4, 5]
    for key in ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"):
        assert len(history[key]) == 5, key
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["val_acc"][-1] > 0.9
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5 and lines[0].startswith("epoch 1/5") and "val_acc" in lines[0]


def test_fit_log_every_scheduler_and_callback(capsys):
    X, y = _toy_classification(64)
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)  # halves every batch
    calls = []
    history = utils.fit(model, (X, y), loss_fn=F.cross_entropy, optimizer=opt, epochs=4, batch_size=32,
                        scheduler=sched, clip_grad=1.0, log_every=2, progress=False,
                        callback=lambda epoch, m, h: calls.append((epoch, len(h["train_loss"]))))
    assert calls == [(1, 1), (2, 2), (3, 3), (4, 4)]
    assert history["lr"] == pytest.approx([1.0 / 4, 1.0 / 16, 1.0 / 64, 1.0 / 256])
    printed = [line.split()[1] for line in capsys.readouterr().out.strip().splitlines()]
    assert printed == ["1/4", "2/4", "4/4"]


def test_fit_matches_a_hand_written_loop():
    """Same seed, same shuffles, same steps: fit is the plain loop, nothing more."""
    X, y = _toy_classification(96)
    results = []
    for use_fit in (True, False):
        torch.manual_seed(1)
        model = nn.Linear(2, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        torch.manual_seed(2)
        if use_fit:
            utils.fit(model, (X, y), loss_fn=F.cross_entropy, optimizer=opt, epochs=3, batch_size=32, progress=False)
        else:
            for _ in range(3):
                for Xb, yb in utils.batches(X, y, batch_size=32, shuffle=True):
                    loss = F.cross_entropy(model(Xb), yb)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
        results.append(model.weight.detach().clone())
    torch.testing.assert_close(results[0], results[1])


def test_fit_with_progress_bar_runs():
    X, y = _toy_classification(64)
    model = nn.Linear(2, 2)
    h = utils.fit(model, (X, y), loss_fn=F.cross_entropy, epochs=2,
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), progress=True)
    assert len(h["train_loss"]) == 2


@pytest.mark.parametrize("train_data, kwargs, error, match", [
    (torch.zeros(4, 2), {}, TypeError, "pair of tensors"),
    ((torch.zeros(4, 2), torch.zeros(3)), {}, ValueError, "same length"),
    ((torch.zeros(0, 2), torch.zeros(0)), {}, ValueError, "empty"),
    ((torch.zeros(4, 2), torch.zeros(4, dtype=torch.long)), {"epochs": 0}, ValueError, "epochs"),
])
def test_fit_bad_input(train_data, kwargs, error, match):
    model = nn.Linear(2, 2)
    args = {"loss_fn": F.cross_entropy, "optimizer": torch.optim.SGD(model.parameters(), lr=0.1), "epochs": 1}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        utils.fit(model, train_data, **args)


def test_evaluate_is_batch_size_independent_and_restores_mode():
    X, y = _toy_classification(100)
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    model.train()
    a = utils.evaluate(model, (X, y), F.cross_entropy, {"acc": utils.accuracy}, batch_size=7)
    b = utils.evaluate(model, (X, y), F.cross_entropy, {"acc": utils.accuracy}, batch_size=100)
    assert a["loss"] == pytest.approx(b["loss"], rel=1e-5) and a["acc"] == pytest.approx(b["acc"])
    assert model.training
    with torch.no_grad():
        model.eval()
        assert a["loss"] == pytest.approx(F.cross_entropy(model(X), y).item(), rel=1e-5)


def test_predict_concatenates_in_order():
    X, _ = _toy_classification(50)
    model = nn.Linear(2, 3)
    out = utils.predict(model, X, batch_size=8)
    torch.testing.assert_close(out, model(X).detach())


def test_interactive_override(monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "bar")
    assert train.interactive() is True
    monkeypatch.setenv("COURSE_PROGRESS", "lines")
    assert train.interactive() is False
    monkeypatch.setenv("COURSE_PROGRESS", "fancy")
    with pytest.raises(ValueError, match="COURSE_PROGRESS"):
        train.interactive()
    monkeypatch.delenv("COURSE_PROGRESS")
    monkeypatch.setenv("JPY_SESSION_NAME", "chapter.ipynb")
    assert train.interactive() is True


def test_evaluate_bad_input_is_a_clear_error():
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="same length"):
        utils.evaluate(model, (torch.zeros(4, 2), torch.zeros(3, dtype=torch.long)), F.cross_entropy)
    with pytest.raises(TypeError, match="pair of tensors"):
        utils.evaluate(model, torch.zeros(4, 2), F.cross_entropy)


def test_confusion_matrix_matches_scikit_learn():
    from sklearn.metrics import confusion_matrix as sk_confusion_matrix

    g = torch.Generator().manual_seed(0)
    y_true, y_pred = torch.randint(0, 4, (200,), generator=g), torch.randint(0, 4, (200,), generator=g)
    C = utils.confusion_matrix(y_true, y_pred, num_classes=4)
    assert C.shape == (4, 4) and C.sum().item() == 200
    assert (C.numpy() == sk_confusion_matrix(y_true.numpy(), y_pred.numpy(), labels=range(4))).all()
    assert utils.confusion_matrix(torch.tensor([2]), torch.tensor([0]), num_classes=3).tolist() == [
        [0, 0, 0], [0, 0, 0], [1, 0, 0]]


@pytest.mark.parametrize("y_true, y_pred, error, match", [
    (torch.zeros(3, dtype=torch.long), torch.zeros(4, dtype=torch.long), ValueError, "same length"),
    (torch.zeros(3, dtype=torch.long), torch.zeros(3, 2), ValueError, "argmax"),
    (torch.zeros(3), torch.zeros(3), TypeError, "integer class indices"),
    (torch.tensor([0, 5]), torch.tensor([0, 1]), ValueError, "outside 0..2"),
])
def test_confusion_matrix_bad_input(y_true, y_pred, error, match):
    with pytest.raises(error, match=match):
        utils.confusion_matrix(y_true, y_pred, num_classes=3)
