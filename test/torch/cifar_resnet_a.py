"""The CIFAR ResNet with option-A (zero-pad) shortcuts as written in akamaster's pytorch_resnet_cifar10
(resnet.py, BSD-2-Clause; the model most users port CIFAR ResNet weights from), transcribed independently
of ecopt's spec, for test/torch/roundtrip.node.test.ts (via torch_ref.py's TORCH_MODELS).

The shortcut is `F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4))`: zero channels on
both sides (widths that double, as there). Only the head is renamed, linear -> fc (ecopt's torchvision
name): a state dict of akamaster's code loads into ecopt's resnet({ shortcut: 'zero-pad' }) after
renaming 'linear.*' to 'fc.*'.
"""
import torch.nn as nn
import torch.nn.functional as F


class LambdaLayer(nn.Module):
    def __init__(self, lambd):
        super().__init__()
        self.lambd = lambd

    def forward(self, x):
        return self.lambd(x)


class BasicBlockA(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = LambdaLayer(lambda x: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4), 'constant', 0))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class CifarResNetA(nn.Module):
    def __init__(self, depth, widths, in_channels, classes):
        super().__init__()
        n = (depth - 2) // 6
        self.in_planes = widths[0]
        self.conv1 = nn.Conv2d(in_channels, widths[0], kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.layer1 = self._make_layer(widths[0], n, 1)
        self.layer2 = self._make_layer(widths[1], n, 2)
        self.layer3 = self._make_layer(widths[2], n, 2)
        self.fc = nn.Linear(widths[2], classes)

    def _make_layer(self, planes, n, stride):
        layers = []
        for s in [stride] + [1] * (n - 1):
            layers.append(BasicBlockA(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.avg_pool2d(out, out.size()[3])
        return self.fc(out.view(out.size(0), -1))
