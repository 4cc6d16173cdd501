"""The article's training loop ("Understanding the Forward and Backward Pass in PyTorch",
Muneeb S. Ahmad), as it stands: its data, model, initialisation, optimizer, loss and loop.

It never imports sgd-anim. Record and render it with no change at all:

    python render.py --run assets/examples/article_loop.py
    sgd-anim --run article_loop          # installed: the bundled copy, from any folder
"""
import torch
import torch.nn as nn
import torch.optim as optim

# Input and output data
X_values = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2]
Y_values = [0.18, 0.32, 0.42, 0.48, 0.58, 0.72]
X_train = torch.tensor(X_values, dtype=torch.float32).view(-1, 1)
Y_train = torch.tensor(Y_values, dtype=torch.float32).view(-1, 1)


class LinearRegressionModel(nn.Module):
    def __init__(self):
        super(LinearRegressionModel, self).__init__()
        self.linear = nn.Linear(1, 1)  # 1 input, 1 output

    def forward(self, x):
        return self.linear(x)


model = LinearRegressionModel()

# Initializing parameters
initial_a = 1.0
initial_b = 1.0
model.linear.weight.data.fill_(initial_a)
model.linear.bias.data.fill_(initial_b)

# Optimizer and loss function
optimizer = optim.SGD(model.parameters(), lr=0.1)
criterion = nn.MSELoss()

# Epochs and batching
num_epochs = 100
batch_size = 2
n_batches = len(X_train) // batch_size

for epoch in range(num_epochs):
    for batch_idx in range(n_batches):
        # Get the mini-batch
        start_idx = batch_idx * batch_size
        end_idx = start_idx + batch_size

        X_batch = X_train[start_idx:end_idx]
        Y_batch = Y_train[start_idx:end_idx]

        # Forward pass
        Y_pred = model(X_batch)
        loss = criterion(Y_pred, Y_batch)

        # Backward pass and optimization
        optimizer.zero_grad()  # Zero the gradients
        loss.backward()  # Backpropagate the loss
        optimizer.step()  # Update weights

print(f"a = {model.linear.weight.item():.4f}, b = {model.linear.bias.item():.4f}")
