"""Face blurring (gaitvision.privacy) on synthetic images with known face boxes."""

import cv2
import numpy as np
import pytest
from fixtures.synthetic import make_side_track

from gaitvision.render.privacy import blur_box, blur_faces, face_box, face_boxes


def checkerboard(h=400, w=300, cell=4):
    y, x = np.mgrid[0:h, 0:w]
    g = (((x // cell) + (y // cell)) % 2 * 255).astype(np.uint8)
    return np.dstack([g, g, g])


def sharp(img):
    return cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(float), cv2.CV_64F).var()


def pose(nose=(150, 60), torso_px=150.0):
    lm = np.full((33, 2), np.nan)
    lm[0] = nose
    lm[7] = (nose[0] + 12, nose[1] - 4)  # left ear (side view: small face span)
    lm[11] = lm[12] = (nose[0], nose[1] + 40)
    lm[23] = lm[24] = (nose[0], nose[1] + 40 + torso_px)
    return lm


def test_face_box_is_sized_by_the_torso_in_a_side_view():
    box = face_box(pose(torso_px=150))
    # span of nose..ear is 12 px, but the box covers a head: 0.32 * 150 each way
    assert box[2] - box[0] == pytest.approx(2 * 0.32 * 150)
    assert box[0] < 150 < box[2] and box[1] < 60 < box[3]
    assert face_box(np.full((33, 2), np.nan)) is None


def test_blur_faces_removes_detail_in_the_box_only():
    img = checkerboard()
    lm = pose()
    out = blur_faces(img, lm)
    assert out is not img and np.array_equal(img, checkerboard())  # input untouched
    x0, y0, x1, y1 = face_box(lm).astype(int)
    y0, x0 = max(y0, 0), max(x0, 0)
    assert sharp(out[y0:y1, x0:x1]) < 0.01 * sharp(img[y0:y1, x0:x1])
    below = slice(y1 + 5, None)
    assert np.array_equal(out[below], img[below])


def test_no_face_known_blurs_the_whole_image():
    img = checkerboard()
    for lm in (None, np.full((33, 2), np.nan)):
        out = blur_faces(img, lm)
        assert sharp(out) < 0.01 * sharp(img)


def test_several_people():
    img = checkerboard(w=600)
    people = np.stack([pose(nose=(150, 60)), pose(nose=(450, 60))])
    out = blur_faces(img, people)
    for p in people:
        x0, y0, x1, y1 = face_box(p).astype(int)
        assert sharp(out[max(y0, 0):y1, x0:x1]) < 0.01 * sharp(img[max(y0, 0):y1, x0:x1])


def test_blur_box_clips_to_the_image():
    img = checkerboard(h=50, w=50)
    out = blur_box(img, np.array([-20.0, -20.0, 20.0, 20.0]))
    assert out.shape == img.shape and sharp(out[:20, :20]) < sharp(img[:20, :20])


def test_face_boxes_hold_over_short_gaps_only():
    tr, _ = make_side_track(fps=30, duration_s=3.0)
    xy = tr.xy.copy()
    xy[30:36, :11] = np.nan  # 0.2 s without a face: borrowed from the neighbours
    xy[60:, :11] = np.nan  # 1 s and more: unknown -> NaN (whole frame blurred)
    boxes = face_boxes(tr.replace(xy=xy))
    assert np.isfinite(boxes[30:36]).all()
    assert np.isfinite(boxes[:60]).all()
    assert np.isnan(boxes[80:]).all()
