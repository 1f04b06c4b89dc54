"""Drawing on frames: annotators only draw values that were already measured."""

from .annotators import (
    FrontalStepAnnotator,
    SideStepAnnotator,
    SkeletonAnnotator,
    StampAnnotator,
)

__all__ = ["FrontalStepAnnotator", "SideStepAnnotator", "SkeletonAnnotator", "StampAnnotator"]
