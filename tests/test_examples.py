"""The bundled examples (the five seed reports as scripts): every expected finding's code
and line is pinned, and the corrected versions report no error or warning."""

from __future__ import annotations

from collections import Counter

from conftest import ROOT, run_json

EXPECTED = {
    "seed000/train_functional.py": [
        (4, "MC402"),  # from keras.preprocessing.image import ImageDataGenerator
        (27, "MC105"),  # Flatten over 9x9x512 into Dense(256)
        (28, "MC101"),  # Dense(256, activation='softmax') hidden
        (35, "MC402"),  # SGD(lr=...)
        (38, "MC201"),  # rescale=1/255 into caffe-mode VGG16
        (57, "MC402"),  # fit_generator
        (59, "MC304"),  # steps_per_epoch=nb_train_samples
        (62, "MC304"),  # validation_steps=nb_validation_samples
    ],
    "seed000/train_sequential.py": [(4, "MC402"), (22, "MC105"), (34, "MC402"), (37, "MC201"), (56, "MC402"), (58, "MC304"), (61, "MC304")],
    # The same script in code cells (a magic on top of each of cells 1 and 6): (cell, line in cell).
    "seed000/train_sequential.ipynb": [((1, 5), "MC402"), ((3, 5), "MC105"), ((4, 6), "MC402"), ((5, 1), "MC201"),
                                       ((6, 2), "MC402"), ((6, 4), "MC304"), ((6, 7), "MC304")],
    "seed001/predict.py": [(11, "MC303")],  # cv2.imread: BGR, no resize to 48x48
    "seed001/train.py": [
        (4, "MC402"),
        (40, "MC402"),  # lr=
        (40, "MC402"),  # decay=
        (53, "MC302"),  # augmented test generator used for validation
        (70, "MC401"),  # ModelCheckpoint(monitor='val_acc')
        (71, "MC402"),  # period=
        (72, "MC401"),  # EarlyStopping(monitor='val_acc')
        (74, "MC402"),  # fit_generator
        (76, "MC402"),  # samples_per_epoch=
        (79, "MC402"),  # nb_val_samples=
    ],
    "seed002/train_resnet.py": [
        (4, "MC402"),
        (14, "MC205"),  # model.add(Conv_Base): BatchNormalization in training mode
        (15, "MC202"),  # layers[:-8] cuts conv5_block3
        (20, "MC105"),
        (25, "MC201"),  # rescale=1./255 into caffe-mode ResNet50
        (28, "MC302"),  # augmented validation generator
        (37, "MC206"),  # optimizer='Adam' (1e-3) with conv5_block3 trainable
    ],
    "seed003/train_vgg.py": [(17, "MC402")],
    "seed004/finetune.py": [
        (2, "MC402"),
        (16, "MC204"),  # input_shape=(3, w, h)
        (17, "MC402"),  # Convolution2D(64, 3, 3)
        (19, "MC402"),
        (33, "MC402"),  # lr=
        (40, "MC301"),  # class_mode='binary' over 5 folders
        (42, "MC301"),
        (44, "MC402"),  # fit_generator
        (46, "MC402"),  # samples_per_epoch=
        (47, "MC402"),  # nb_epoch=
        (49, "MC402"),  # nb_val_samples=
    ],
    "seed004/train_top_model.py": [(16, "MC102")],  # Dense(5, activation='sigmoid') + categorical
}

FIXED = [
    "seed000/train_fixed.py",
    "seed001/fixed/train.py",
    "seed001/fixed/predict.py",
    "seed002/train_fixed.py",
    "seed004/fixed/train_top_model.py",
    "seed004/fixed/finetune.py",
]


def _by_file(document: dict) -> dict[str, list[tuple[int, str]]]:
    found: dict[str, list[tuple[int, str]]] = {}
    for finding in document["findings"]:
        relative = finding["path"].split("examples/", 1)[-1]
        line = (finding["cell"], finding["line"]) if finding.get("cell") else finding["line"]
        found.setdefault(relative, []).append((line, finding["code"]))
    return found


def test_seed_examples_report_every_expected_finding_at_its_line():
    status, document = run_json("examples")
    assert status == 1
    found = _by_file(document)
    for path, expected in EXPECTED.items():
        assert Counter(found.get(path, [])) == Counter(expected), path
    assert set(found) == set(EXPECTED)


def test_seed000_messages_speak_to_the_user():
    document = run_json("examples/seed000/train_functional.py")[1]
    by_code = {f["code"]: f for f in document["findings"]}
    assert "Dense(256, activation='softmax')" in by_code["MC101"]["message"]
    assert "caffe" in by_code["MC201"]["message"] and "preprocess_input" in by_code["MC201"]["hint"]
    assert by_code["MC201"]["column"] == 36  # the rescale= keyword


def test_seed002_boundary_message_names_the_layers_and_the_aligned_index():
    document = run_json("examples/seed002/train_resnet.py")[1]
    [boundary] = [f for f in document["findings"] if f["code"] == "MC202"]
    assert "'conv5_block3_1_bn'" in boundary["message"] and "'conv5_block3_1_relu'" in boundary["message"]
    assert "conv5_block3" in boundary["message"]
    assert "layers[:" in boundary["hint"]
    [scaling] = [f for f in document["findings"] if f["code"] == "MC201"]
    assert "caffe" in scaling["message"]


def test_corrected_examples_report_no_error_or_warning():
    for path in FIXED:
        status, document = run_json(str(ROOT / "examples" / path))
        assert [(f["line"], f["code"], f["message"]) for f in document["findings"]] == [], path
        assert status == 0


def test_corrected_predict_script_is_compared_with_its_training_script():
    status, document = run_json("examples/seed001/fixed")
    assert document["findings"] == []
