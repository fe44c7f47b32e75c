"""Cascaded Pyramid Network (Chen et al., CVPR 2018): keypoint heatmaps of one person crop.

A ResNet gives the features C2..C5 (strides 4, 8, 16, 32). GlobalNet is a feature pyramid over them:
lateral 1x1 convolutions to 256 channels, the coarser level upsampled, passed through a 1x1
convolution and added in, and at every level a 1x1 -> 3x3 head predicting J heatmaps at the output
size (stride 4). RefineNet sends the four pyramid levels (C2, C3, C4, C5) through 0, 1, 2, 3
bottleneck blocks (256 channels, 128 inside), upsamples them to the C2 size, concatenates them and
predicts the final heatmaps with one more bottleneck and a 3x3 convolution.

Module and parameter names are GengDavid/pytorch-cpn's (`resnet.*` with torchvision's ResNet names,
`global_net.{laterals,upsamples,predict}`, `refine_net.{cascade,final_predict}`; pyramid level i is
C5, C4, C3, C2 for i = 0..3; no convolution has a bias), so that its checkpoints load strictly with
`CPNConfig.pytorch_cpn()`. That port differs from the paper in two ways, both options here: batch
norm after every heatmap prediction, and a projection shortcut in every RefineNet bottleneck (the
paper's identity shortcuts need none where the channels do not change).

Checkpoints: ours (`save_cpn`) hold plain dicts, tensors, numbers and strings, so torch's safe
`weights_only` loader reads them; `load_cpn` also reads pytorch-cpn's `{'epoch', 'state_dict',
'optimizer'}` files, saved from DataParallel (keys prefixed `module.`), which do not record the
input size.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
from torch import nn

from poselift.io.atomic import atomic_path

OUTPUT_STRIDE = 4  # heatmaps are at the resolution of C2
PYRAMID_CHANNELS = 256
FORMAT = "poselift-cpn"

# depth -> (block, blocks per stage), as He et al. (2016), table 1
RESNET_STAGES = {18: ("basic", (2, 2, 2, 2)), 34: ("basic", (3, 4, 6, 3)),
                 50: ("bottleneck", (3, 4, 6, 3)), 101: ("bottleneck", (3, 4, 23, 3))}


@dataclass(frozen=True)
class CPNConfig:
    """Architecture and input convention of a CPN. Defaults: the paper's CPN-50 at 256x192."""

    depth: int = 50  # ResNet backbone: 18, 34, 50 or 101
    input_size: tuple[int, int] = (256, 192)  # crop (height, width) in pixels, both divisible by 32
    num_joints: int = 17  # COCO keypoints
    heatmap_bn: bool = False  # pytorch-cpn: batch norm after every heatmap prediction
    refine_projection: bool = False  # pytorch-cpn: projection shortcut in every RefineNet bottleneck
    pixel_mean: tuple[float, float, float] = (122.7717, 115.9465, 102.9801)  # RGB, pytorch-cpn's
    heatmap_peak: float = 1.0  # target value at a joint (pytorch-cpn trains to 255); scores are max / peak

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_size", tuple(int(s) for s in self.input_size))
        object.__setattr__(self, "pixel_mean", tuple(float(m) for m in self.pixel_mean))
        if self.depth not in RESNET_STAGES:
            raise ValueError(f"ResNet depth must be one of {sorted(RESNET_STAGES)}, got {self.depth}")
        if len(self.input_size) != 2 or any(s <= 0 or s % 32 for s in self.input_size):
            raise ValueError(f"input (height, width) must be positive multiples of 32, got {self.input_size}")

    @classmethod
    def pytorch_cpn(cls, depth: int = 50, input_size: tuple[int, int] = (256, 192)) -> CPNConfig:
        """GengDavid/pytorch-cpn's variant (`CPN50` at 256x192 or 384x288, or `CPN101`)."""
        return cls(depth=depth, input_size=input_size, heatmap_bn=True, refine_projection=True, heatmap_peak=255.0)

    @property
    def output_stride(self) -> int:
        return OUTPUT_STRIDE

    @property
    def heatmap_size(self) -> tuple[int, int]:
        """(height, width) of the heatmaps: the input size / 4 (64x48 at 256x192)."""
        return self.input_size[0] // OUTPUT_STRIDE, self.input_size[1] // OUTPUT_STRIDE

    def to_dict(self) -> dict:
        d = asdict(self)
        d["input_size"], d["pixel_mean"] = list(self.input_size), list(self.pixel_mean)
        return d


def _conv_bn(in_channels: int, out_channels: int, kernel: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(out_channels)]


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut (ResNet-18/34)."""

    expansion = 1

    def __init__(self, in_channels: int, width: int, stride: int = 1):
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(in_channels, width, 3, stride)
        self.conv2, self.bn2 = _conv_bn(width, width, 3)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = (nn.Sequential(*_conv_bn(in_channels, width, 1, stride))
                           if stride != 1 or in_channels != width else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class Bottleneck(nn.Module):
    """1x1 (to `width`) -> 3x3 (carrying the stride, as torchvision) -> 1x1 (to `out_channels`), plus a
    shortcut: the identity, or a strided 1x1 projection where the shape changes or `projection` asks."""

    def __init__(self, in_channels: int, width: int, out_channels: int, stride: int = 1, projection: bool = False):
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(in_channels, width, 1)
        self.conv2, self.bn2 = _conv_bn(width, width, 3, stride)
        self.conv3, self.bn3 = _conv_bn(width, out_channels, 1)
        self.relu = nn.ReLU(inplace=True)
        projection = projection or stride != 1 or in_channels != out_channels
        self.downsample = nn.Sequential(*_conv_bn(in_channels, out_channels, 1, stride)) if projection else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    """ResNet without pooling and classifier (He et al., CVPR 2016), giving C2..C5, torchvision's names."""

    def __init__(self, depth: int):
        super().__init__()
        kind, counts = RESNET_STAGES[depth]
        expansion = 1 if kind == "basic" else 4
        self.conv1, self.bn1 = _conv_bn(3, 64, 7, stride=2)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        in_channels = 64
        self.channels = []  # of C2..C5
        for stage, (width, count) in enumerate(zip((64, 128, 256, 512), counts, strict=True), start=1):
            blocks = []
            for i in range(count):
                stride = 2 if i == 0 and stage > 1 else 1
                blocks.append(BasicBlock(in_channels, width, stride) if kind == "basic"
                              else Bottleneck(in_channels, width, width * expansion, stride))
                in_channels = width * expansion
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
            self.channels.append(in_channels)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(B, 3, H, W) -> [C2, C3, C4, C5], (B, C_k, H / 2^k, W / 2^k)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # (B, 64, H/4, W/4)
        features = []
        for stage in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = stage(x)
            features.append(x)
        return features


def _resize(size: tuple[int, int] | None = None) -> nn.Upsample:
    """Bilinear resizing with aligned corners, as pytorch-cpn (a factor of 2 without a size)."""
    if size is None:
        return nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
    return nn.Upsample(size=size, mode="bilinear", align_corners=True)


def _heatmap_head(in_channels: int, num_joints: int, kernel: int, out_size: tuple[int, int] | None,
                  batch_norm: bool) -> list[nn.Module]:
    """Convolution to J heatmaps, then (for GlobalNet) resizing to the output size, then optional BN."""
    layers = [nn.Conv2d(in_channels, num_joints, kernel, padding=kernel // 2, bias=False)]
    layers += [] if out_size is None else [_resize(out_size)]
    return layers + ([nn.BatchNorm2d(num_joints)] if batch_norm else [])


class GlobalNet(nn.Module):
    """The feature pyramid with a heatmap head at every level; level i is C5, C4, C3, C2 for i = 0..3."""

    def __init__(self, in_channels: list[int], num_joints: int, out_size: tuple[int, int], heatmap_bn: bool):
        super().__init__()
        c = PYRAMID_CHANNELS
        self.laterals = nn.ModuleList(nn.Sequential(*_conv_bn(ch, c, 1), nn.ReLU(inplace=True))
                                      for ch in in_channels)
        self.upsamples = nn.ModuleList(nn.Sequential(_resize(), *_conv_bn(c, c, 1))
                                       for _ in in_channels[1:])
        self.predict = nn.ModuleList(
            nn.Sequential(*_conv_bn(c, c, 1), nn.ReLU(inplace=True), *_heatmap_head(c, num_joints, 3, out_size,
                                                                                    heatmap_bn))
            for _ in in_channels)

    def forward(self, levels: list[torch.Tensor]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """[C5, C4, C3, C2] -> pyramid features [(B, 256, h_i, w_i)] and heatmaps [(B, J, H/4, W/4)]."""
        features, heatmaps = [], []
        for i, level in enumerate(levels):
            feature = self.laterals[i](level)
            if i > 0:
                feature = feature + self.upsamples[i - 1](features[-1])
            features.append(feature)
            heatmaps.append(self.predict[i](feature))
        return features, heatmaps


class RefineNet(nn.Module):
    """Level i (C5, C4, C3, C2) through 3 - i bottlenecks, upsampled, concatenated, one bottleneck, 3x3."""

    def __init__(self, num_joints: int, out_size: tuple[int, int], heatmap_bn: bool, projection: bool):
        super().__init__()
        c = PYRAMID_CHANNELS
        levels = 4
        self.cascade = nn.ModuleList(
            nn.Sequential(*(Bottleneck(c, c // 2, c, projection=projection) for _ in range(levels - 1 - i)),
                          _resize(out_size))
            for i in range(levels))
        self.final_predict = nn.Sequential(Bottleneck(levels * c, c // 2, c),  # projects 1024 -> 256 channels
                                           *_heatmap_head(c, num_joints, 3, None, heatmap_bn))

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        """Pyramid features [C5..C2 levels] -> (B, J, H/4, W/4) heatmaps."""
        x = torch.cat([cascade(f) for cascade, f in zip(self.cascade, features, strict=True)], dim=1)
        return self.final_predict(x)  # (B, 4 * 256, H/4, W/4) -> (B, J, H/4, W/4)


class CPN(nn.Module):
    """ResNet + GlobalNet + RefineNet on normalised crops (RGB / 255 - mean / 255, no std)."""

    def __init__(self, config: CPNConfig):
        super().__init__()
        self.config = config
        self.resnet = ResNet(config.depth)
        out_size = config.heatmap_size
        self.global_net = GlobalNet(self.resnet.channels[::-1], config.num_joints, out_size, config.heatmap_bn)
        self.refine_net = RefineNet(config.num_joints, out_size, config.heatmap_bn, config.refine_projection)
        for module in (self.global_net, self.refine_net):
            for m in module.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, images: torch.Tensor,
                with_global: bool = False) -> torch.Tensor | tuple[list[torch.Tensor], torch.Tensor]:
        """(B, 3, H, W) normalised crops -> (B, J, H/4, W/4) RefineNet heatmaps; with `with_global`, also
        the four GlobalNet heatmaps (C5..C2 levels, same shape) first, for the training losses."""
        if tuple(images.shape[1:]) != (3, *self.config.input_size):
            raise ValueError(f"expected crops (B, 3, {self.config.input_size[0]}, {self.config.input_size[1]}), "
                             f"got {tuple(images.shape)}")
        features, global_heatmaps = self.global_net(self.resnet(images)[::-1])
        refined = self.refine_net(features)
        return (global_heatmaps, refined) if with_global else refined


def save_cpn(path: str | os.PathLike, model: CPN, config: CPNConfig, extra: dict | None = None) -> None:
    """Write a CPN atomically: format tag, config, state dict and `extra` (plain data: training
    parameters, history, provenance), all readable with `torch.load(weights_only=True)`."""
    if config != model.config:
        raise ValueError(f"config {config} is not the model's ({model.config})")
    extra = {} if extra is None else extra
    _check_plain(extra, "extra")
    data = {"format": FORMAT, "config": config.to_dict(), "extra": extra,
            "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()}}
    with atomic_path(path) as tmp:
        torch.save(data, tmp)


def _check_plain(value: object, where: str) -> None:
    """Refuse what the safe loader would refuse later (NumPy arrays, arbitrary objects)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _check_plain(k, where)
            _check_plain(v, f"{where}[{k!r}]")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_plain(v, f"{where}[{i}]")
    elif not isinstance(value, str | int | float | bool | torch.Tensor) and value is not None:
        raise ValueError(f"{where} is a {type(value).__name__}; checkpoints hold only plain data and tensors")


def records_input_size(path: str | os.PathLike) -> bool:
    """Whether a CPN checkpoint records its input size (ours do; pytorch-cpn's need `input_size` to load)."""
    return _torch_load(Path(path)).get("format") == FORMAT


def load_cpn(path: str | os.PathLike, input_size: tuple[int, int] | None = None) -> tuple[CPN, dict]:
    """A CPN (in eval mode) and the checkpoint's extra data, from one of our checkpoints or a pytorch-cpn
    one (`CPN50_256x192.pth.tar`: pass `input_size`, which it does not record; the depth, joints and
    variant are read off the parameter names and shapes). The extra data of a pytorch-cpn file is
    `{'source': 'pytorch-cpn', 'epoch': ...}`."""
    path = Path(path)
    data = _torch_load(path)
    if data.get("format") == FORMAT:
        try:
            config = CPNConfig(**data["config"])
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{path}: bad CPN config ({err})") from err
        if input_size is not None and tuple(input_size) != config.input_size:
            raise ValueError(f"{path}: holds a CPN for input {config.input_size}, not {tuple(input_size)}")
        state, extra = data["state_dict"], dict(data.get("extra", {}))
    elif isinstance(data.get("state_dict"), dict):
        state = {k.removeprefix("module."): v for k, v in data["state_dict"].items()}
        if input_size is None:
            raise ValueError(f"{path}: a pytorch-cpn checkpoint does not record its input size; "
                             f"pass input_size=(256, 192) or (384, 288)")
        config = _infer_config(state, tuple(input_size), path)
        extra = {"source": "pytorch-cpn", "epoch": int(data.get("epoch", 0))}
    else:
        raise ValueError(f"{path}: neither a poselift CPN checkpoint nor a pytorch-cpn one "
                         f"(keys: {', '.join(map(str, data))})")
    model = CPN(config)
    _load_state(model, state, path)
    return model.eval(), extra


def _torch_load(path: Path) -> dict:
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise ValueError(f"{path}: not a torch checkpoint readable with weights_only=True ({first})") from err
    if not isinstance(data, dict):
        raise ValueError(f"{path}: holds a {type(data).__name__}, expected a dict with a 'state_dict'")
    return data


def _infer_config(state: dict[str, torch.Tensor], input_size: tuple[int, int], path: Path) -> CPNConfig:
    """pytorch-cpn's configuration from its state dict: depth from the blocks per stage, the variant
    from the heatmap batch norms and RefineNet projections present."""
    bottleneck = "resnet.layer1.0.conv3.weight" in state
    counts = tuple(len({k.split(".")[2] for k in state if k.startswith(f"resnet.layer{s}.")}) for s in range(1, 5))
    depth = next((d for d, stages in RESNET_STAGES.items() if stages == ("bottleneck" if bottleneck else "basic",
                                                                           counts)), None)
    heatmap = state.get("refine_net.final_predict.1.weight")
    if depth is None or heatmap is None:
        raise ValueError(f"{path}: not a CPN state dict (ResNet blocks per stage {counts}, "
                         f"{'with' if heatmap is not None else 'no'} refine_net.final_predict.1.weight)")
    return replace(CPNConfig.pytorch_cpn(depth, input_size), num_joints=int(heatmap.shape[0]),
                   heatmap_bn="refine_net.final_predict.2.weight" in state,
                   refine_projection="refine_net.cascade.0.0.downsample.0.weight" in state)


def _load_state(model: CPN, state: dict[str, torch.Tensor], path: Path, shown: int = 5) -> None:
    """Strict loading with a readable refusal: the first missing, unexpected and misshapen keys.
    BatchNorm's `num_batches_tracked` (absent before torch 0.4.1) may be missing."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state and not k.endswith(".num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    misshapen = [f"{k} {tuple(getattr(state[k], 'shape', ()))} vs {tuple(v.shape)}" for k, v in expected.items()
                 if k in state and getattr(state[k], "shape", None) != v.shape]
    problems = [f"{what}: {', '.join(keys[:shown])}{f' (+{len(keys) - shown} more)' if len(keys) > shown else ''}"
                for what, keys in (("missing", missing), ("unexpected", unexpected), ("shape", misshapen)) if keys]
    if problems:
        raise ValueError(f"{path}: does not match a CPN-{model.config.depth} with {model.config.num_joints} joints "
                         f"({'; '.join(problems)})")
    model.load_state_dict(state, strict=True)
