"""The preset nets of the peer baseline's reference_loop.py, copied verbatim so
the tests that hold our presets to them run on a clean clone, where that baseline may be absent."""
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    """LeNet-5 for 1x28x28: conv(6,5,pad2)-relu-maxpool2, conv(16,5)-relu-maxpool2, 120, 84, 10."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c2 = nn.Conv2d(6, 16, 5)
        self.f1, self.f2, self.f3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2).flatten(1)
        return self.f3(F.relu(self.f2(F.relu(self.f1(x)))))


def conv_bn(ci, co):
    return nn.Sequential(nn.Conv2d(ci, co, 3, padding=1, bias=False), nn.BatchNorm2d(co), nn.ReLU())


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(conv_bn(c, c), conv_bn(c, c))

    def forward(self, x):
        return x + self.body(x)


def resnet9():
    """ResNet-9 for 3x32x32 (the DAWNBench CIFAR-10 net): prep 64; 128 + pool + res; 256 + pool;
    512 + pool + res; global max pool; linear 10. Convs are 3x3, pad 1, no bias, then BN and ReLU."""
    return nn.Sequential(
        conv_bn(3, 64), conv_bn(64, 128), nn.MaxPool2d(2), Residual(128),
        conv_bn(128, 256), nn.MaxPool2d(2), conv_bn(256, 512), nn.MaxPool2d(2), Residual(512),
        nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(512, 10))


def mlp():
    """The seminar's fully connected net for 1x28x28: (Affine-ReLU) x4 then Affine, width 256."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


NETS = {"lenet": (LeNet, (1, 28, 28)), "resnet9": (resnet9, (3, 32, 32)), "mlp": (mlp, (1, 28, 28))}
